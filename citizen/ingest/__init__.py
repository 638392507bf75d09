"""Readers of what organisers upload (archives, areas of interest, photos, PDFs), shared by the kinds:
they check and decode files, and know nothing of campaigns or kinds."""
