"""Publish the generated files: stage docs/, build the MkDocs site strictly, then swap it in."""
