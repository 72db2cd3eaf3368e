"""Boards are data: `boards/<name>/board.yaml` describes a part, its clock and its budget."""

from qnnflow.boards.board import Board, find_board_file, load_board

__all__ = ["Board", "find_board_file", "load_board"]
