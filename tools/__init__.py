"""Repository tools: scripts that maintain committed files (not part of the installed package)."""
