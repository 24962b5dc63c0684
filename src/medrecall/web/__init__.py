"""Web: the server-rendered user interface — layout, navigation, language switch, the
master-data pages and import pages. Views stay thin: parse, call a selector or service,
render. Each context's own pages join here as it arrives."""
