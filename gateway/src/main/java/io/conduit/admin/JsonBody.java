package io.conduit.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reading a JSON request body field by field, with a 400 (IllegalArgumentException) naming what is wrong. */
final class JsonBody {

    private JsonBody() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(ObjectMapper json, String body, Set<String> allowed) {
        Object parsed;
        try {
            parsed = body == null || body.isBlank() ? null : json.readValue(body, Object.class);
        } catch (JsonProcessingException e) {
            // Not the parser's message: it may quote the body, password included.
            throw new IllegalArgumentException("the body is not valid JSON");
        }
        if (!(parsed instanceof Map)) {
            throw new IllegalArgumentException("the body must be a JSON object");
        }
        Map<String, Object> in = (Map<String, Object>) parsed;
        for (String key : in.keySet()) {
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException("unknown or unchangeable field '" + key + "' (expected "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
        return in;
    }

    static String string(Map<String, Object> in, String key) {
        Object v = in.get(key);
        if (v != null && !(v instanceof String)) {
            throw new IllegalArgumentException(key + " must be a string");
        }
        return (String) v;
    }

    static Boolean bool(Map<String, Object> in, String key) {
        Object v = in.get(key);
        if (v != null && !(v instanceof Boolean)) {
            throw new IllegalArgumentException(key + " must be true or false");
        }
        return (Boolean) v;
    }

    static List<String> strings(Map<String, Object> in, String key) {
        Object v = in.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> list)) {
            throw new IllegalArgumentException(key + " must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s)) {
                throw new IllegalArgumentException(key + " must be a list of strings");
            }
            out.add(s);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> in, String key) {
        Object v = in.get(key);
        if (v != null && !(v instanceof Map)) {
            throw new IllegalArgumentException(key + " must be a JSON object");
        }
        return (Map<String, Object>) v;
    }
}
