"""Procedural toy worlds: seeded, generated on the fly, nothing downloaded.

`dot_world`: one dot driven by 2-D actions inside walls, optionally behind
unpredictable distractors. Each world module is imported directly by the code
that needs it.
"""
