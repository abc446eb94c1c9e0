"""Models of the 政务服务 module arrive with its own issue."""
