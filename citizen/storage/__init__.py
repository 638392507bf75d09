"""Where files live: the media store of campaigns (uploads, rendered pages, blurred copies) under the
media folder, named by the server from their content."""
