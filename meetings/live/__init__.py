"""The live meeting: join flow, waiting room, room, chat, host controls and time limits."""
