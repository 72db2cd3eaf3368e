"""Small helpers shared by the whole package."""
