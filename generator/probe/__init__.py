"""Read layer outputs through a Keras sub-model (probing needs Keras; results are cached)."""
