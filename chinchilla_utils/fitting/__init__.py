"""The paper's three estimation approaches, each a function of data."""
