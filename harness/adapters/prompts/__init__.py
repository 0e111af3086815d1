"""Prompt texts (data)."""
