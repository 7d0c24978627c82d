"""What an analysis sends and expects back: the input (digest and raw material), the
prompt and the report schema. Below the engine and compression, which both build on it."""
