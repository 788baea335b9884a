"""Screens of the inspector: the main view, the answer and request editors, prompts and help."""
