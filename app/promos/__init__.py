"""Promo codes: a discount a customer types in the cart, limited by dates, spend and uses."""
