"""Data quality: consensus now; scheduling rules, caps, gold and reliability later."""
