-- Identity resolution (issue 13.2): the identity map. One row per key that was merged into a person: an anonymousId
-- (identify carrying anonymousId + userId), an alias previousId, or a person merged into another person by alias.
-- person_id is always a root: a key that is not itself merged (a later merge of the person re-points every row that
-- pointed at it, so a chain a→b, b→c reads a→c, b→c). The merge that writes a row moves the merged key's rows of
-- user_events to the person in the same transaction, so user_events.user_id is always the resolved person and every
-- SQL oracle counts people. This is the one table that holds identity links: erasing a person deletes its rows here
-- (WHERE person_id = …) along with its events.
CREATE TABLE IF NOT EXISTS identity_links (
    merged_id   text        NOT NULL PRIMARY KEY,
    person_id   text        NOT NULL,
    via         text        NOT NULL CHECK (via IN ('identify', 'alias')),
    message_id  text        NOT NULL,
    moved_events integer    NOT NULL,
    linked_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT identity_links_not_self CHECK (merged_id <> person_id)
);

CREATE INDEX IF NOT EXISTS identity_links_person ON identity_links (person_id);
