"""Scanning folders, decoding photos and keeping the index in line with the disk."""
