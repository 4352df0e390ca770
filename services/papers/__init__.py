"""Papers (tham luận) and meeting materials, one module a use case: assigning papers
(``assigning``), following and collecting them (``following``), a member submitting one
(``submitting``), materials for everyone to study (``materials``), and the checks every
document goes through (``documents``), chosen between by ``receiving``.

A document is checked by name and announced size before a byte is fetched, then by content;
it is stored (content-addressed) only once it passed every check, so a refused file leaves
nothing behind.
"""
