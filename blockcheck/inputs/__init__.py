"""The input side: the input model, field mapping, reading (encodings, Chinese coordinate systems), validation and
its report, completeness, plausibility, and the OSM import."""
