"""Boundary outlines for the maps: shipped county outlines, synthetic townships, user-supplied files."""
