"""Saved venues (the heart), recently viewed, similar venues and what is trending nearby."""
