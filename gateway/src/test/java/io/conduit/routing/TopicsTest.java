package io.conduit.routing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Topic name and filter rules of MQTT 5.0 section 4.7 (the same in 3.1.1). */
class TopicsTest {

    private static final int MAX_LEVELS = 128;

    @ParameterizedTest
    @ValueSource(strings = {"#", "+", "a", "a/b", "a/+", "a/#", "+/+", "+/b/#", "/", "/#", "a//b", "//", "$SYS/#",
            "$SYS/+/x", "+/#", "sport/tennis/player1/#", "a b/ü/文字"})
    void validFilters(String filter) {
        assertTrue(Topics.isValidFilter(filter, MAX_LEVELS), filter);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/#/b", "a+", "#a", "a#", "a/b#", "+a", "a/+b", "a/b+/c", "##", "++", "#/", "#/a", ""})
    void invalidFilters(String filter) {
        assertFalse(Topics.isValidFilter(filter, MAX_LEVELS), filter);
    }

    @Test
    void filtersWithNulOrTooManyLevelsAreInvalid() {
        assertFalse(Topics.isValidFilter("a/\u0000", MAX_LEVELS));
        assertTrue(Topics.isValidFilter("a/b/c", 3));
        assertFalse(Topics.isValidFilter("a/b/c/d", 3));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "a/b", "/", "/a", "a/", "$SYS/broker", "a//b", "ü/文字"})
    void validNames(String name) {
        assertTrue(Topics.isValidName(name, MAX_LEVELS), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/+", "+", "#", "a/#", "a+b", "a#b"})
    void invalidNames(String name) {
        assertFalse(Topics.isValidName(name, MAX_LEVELS), name);
    }

    @Test
    void namesWithNulOrTooManyLevelsAreInvalid() {
        assertFalse(Topics.isValidName("a\u0000b", MAX_LEVELS));
        assertTrue(Topics.isValidName("a/b/c", 3));
        assertFalse(Topics.isValidName("a/b/c/d", 3));
    }

    @ParameterizedTest(name = "{0} matches {1}: {2}")
    @CsvSource({
            "a/b, a/b, true",
            "a/b, a/c, false",
            "a/b, a/b/c, false",
            "a/+, a/b, true",
            "a/+, a/b/c, false",
            "a/+, a, false",
            "a/+, a/, true",
            "+, a, true",
            "+, a/b, false",
            "+, /a, false",
            "+/+, /a, true",
            "+/b/+, a/b/c, true",
            "+/b/+, a/x/c, false",
            "a/#, a, true",
            "a/#, a/b, true",
            "a/#, a/b/c, true",
            "a/#, ab, false",
            "a/#, b/a, false",
            "#, a, true",
            "#, a/b/c, true",
            "#, /, true",
            "/#, /a, true",
            "+/#, a, true",
            // $-topics: a leading wildcard never matches them (MQTT 5.0 section 4.7.2).
            "#, $SYS/x, false",
            "#, $SYS, false",
            "+/x, $SYS/x, false",
            "+/#, $SYS/x, false",
            "+, $TopicA, false",
            "+/B, $TopicA/B, false",
            "$SYS/#, $SYS/x, true",
            "$SYS/#, $SYS, true",
            "$SYS/+, $SYS/x, true",
            "$TopicA/B, $TopicA/B, true",
            "$TopicA/+, $TopicA/B, true",
            "a/$x, a/$x, true",
            "a/+, a/$x, true",
    })
    void matching(String filter, String topic, boolean expected) {
        assertEquals(expected, Topics.matches(filter, topic));
    }

    @Test
    void levelsKeepEmptyLevels() {
        assertArrayEquals(new String[] {"", "a", ""}, Topics.levels("/a/"));
        assertArrayEquals(new String[] {"a"}, Topics.levels("a"));
        assertArrayEquals(new String[] {"", ""}, Topics.levels("/"));
        assertArrayEquals(new String[] {"a", "", "b"}, Topics.levels("a//b"));
    }

    @Test
    void sharedFilters() {
        assertTrue(Topics.isShared("$share/g/a/b"));
        assertFalse(Topics.isShared("$SYS/a"));
        Topics.SharedFilter f = Topics.parseShared("$share/g/a/#");
        assertEquals("g", f.group());
        assertEquals("a/#", f.filter());
        assertNull(Topics.parseShared("$share//a"), "empty group");
        assertNull(Topics.parseShared("$share/g/"), "no filter");
        assertNull(Topics.parseShared("$share/g"), "no filter");
        assertNull(Topics.parseShared("$share/g+/a"), "wildcard in group");
    }
}
