"""First-party Payvand plugins; each sub-package is loaded through the `payvand.plugins` entry points."""
