"""The SQL of each feature, named by what it returns; services decide, these only read."""
