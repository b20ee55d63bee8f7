"""The indicator catalogue of INDICATORS.md as code: set-based SQL per source fact, then pandas."""
