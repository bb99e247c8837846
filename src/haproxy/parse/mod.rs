//! Parsers for the Runtime API's output formats, one module per format.
