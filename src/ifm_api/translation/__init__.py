"""Translation status per item and language, and the XLIFF exchange with translators."""
