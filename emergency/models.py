"""Models of the 应急管理 module arrive with its own issue."""
