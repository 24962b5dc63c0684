"""An importer module for the registry tests: nothing imports it but the test that checks an
importer kind loads its class on first use."""


class LazyImporter:
    offers_keep_good = True
