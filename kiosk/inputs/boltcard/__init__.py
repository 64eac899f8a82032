"""Tap to pay with a Bolt Card: the card's LNURL-withdraw link pays the invoice on screen (issue #13)."""
