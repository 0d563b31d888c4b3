/** Conduit plugin SDK. */
package io.conduit.api;
