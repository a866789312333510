"""Imports pushed by provider departments: batches and their rejected rows."""
