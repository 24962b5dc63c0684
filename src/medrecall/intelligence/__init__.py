"""Public recall history (openFDA device recalls and enforcement reports): import, search, statistics, recalls like this one."""
