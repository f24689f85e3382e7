"""Container images: the offline base image (bootstrap) and building Image recipes (builder)."""
