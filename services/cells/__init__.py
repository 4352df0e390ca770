"""Cells: creating them, their links, their group chat, and their member list.

``creation`` (/newcell), ``links`` (secretary, supervisor, observer and member links),
``overview`` (/cells and one cell's menu), ``members`` (/members and changes to a member),
``groups`` (/linkgroup); ``common`` holds what they share."""
