"""Where sales come from: the keypad and the till's serial link."""
