"""API: the REST interface (Django REST framework) over every context, with its OpenAPI
schema at /api/schema/ and browsable docs at /api/docs/. Views stay thin and call the
same selectors and services as the web pages."""
