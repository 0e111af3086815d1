"""The bottom floor: small utilities with no project imports, usable from every layer (docs/ARCHITECTURE.md, "Layers")."""
