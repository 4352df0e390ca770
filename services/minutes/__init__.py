"""Minutes (biên bản) and resolutions (nghị quyết): recorded in chat after the roll, the
resolution's tasks followed until they are done, exported as a document.

``record`` (the editor's use cases), ``screens`` (the editor, an item's and the resolution's
screens), ``opinions``, ``resolution`` (its tasks assigned, the vote), ``comments`` (on a
thematic draft), ``tasks`` (for the member responsible), ``export`` (the .docx); ``access``
holds the lookups and payloads they share."""
