"""Drawing the customer screen with pygame."""
