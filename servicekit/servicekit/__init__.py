"""The run-time kit both services import (UniTrack's ``app`` and forecast's ``api``)."""
