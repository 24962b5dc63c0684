"""Parties: everyone a recall touches — our own sites, distributors, hospitals, end users,
service partners, carriers and suppliers — with their contacts (language, preferred
channel) and their locations (warehouses, quarantine areas, distributor stock, customer
sites) with addresses coded by country and province for impact by region."""
