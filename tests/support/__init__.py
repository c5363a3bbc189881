"""One harness for every test package: servers, the catalogue, clients and fakes."""
