"""Models of the 食品安全 module arrive with its own issue."""
