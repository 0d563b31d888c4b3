package io.conduit.testing;

import io.restassured.specification.RequestSpecification;

import static io.restassured.RestAssured.given;

/** Requests to the admin API as the local admin account of the test profile (application.properties, %test). */
public final class AdminApi {

    public static final String USER = "admin";
    public static final String PASSWORD = "test-admin-password";

    private AdminApi() {
    }

    public static RequestSpecification admin() {
        return given().auth().preemptive().basic(USER, PASSWORD);
    }
}
