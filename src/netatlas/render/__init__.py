"""Renderers: thin adapters from model objects to text, JSON and pictures."""
