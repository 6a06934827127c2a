"""A research-wiki compiler: YAML pages -> validated, linked wiki -> Markdown -> static site.

Submodules are imported where used (`wiki.cli` is the command line), so importing
`wiki` itself stays cheap.
"""
