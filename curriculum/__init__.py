"""The 20-week plan as validated data: schema, loader and the shipped plan files."""
