"""
RustStack's launcher of DynamoDB Local, which has no option to choose where
it listens (it binds every interface) and serves anyone who connects.

The launcher starts DynamoDB Local's own server (C{ServerRunner}, its Jetty
C{Server}) with two changes:

  - it serves the listening socket it inherits as standard input
    (C{System.inheritedChannel()}): RustStack binds it to 127.0.0.1 on a
    free port before the JVM starts, so no other process can take the port
    between a check and the JVM's bind, and the JVM itself binds nothing;
  - it answers 403 to any request whose C{Authorization} does not end with
    the token RustStack gave it in its environment (256 random bits, fresh
    for every RustStack; the JVM's environment is readable only by its own
    user and root): another local user, or a Lambda function running under
    its own uid, can connect to the port but is served nothing.

It is Java source, compiled once per cache folder (or, where the cache
cannot be written, once per RustStack into a private temporary folder) with
the JRE's own compiler module (C{java -m jdk.compiler/com.sun.tools.javac.Main}:
no JDK needed). Compiling takes about 0.8 s; running the compiled launcher
costs nothing measurable at start-up against C{java -jar DynamoDBLocal.jar}
(README, DynamoDB).
"""

from __future__ import annotations

import hashlib
import os

CLASS_NAME = "RustStackDynamoDBLocal"
TOKEN_VARIABLE = "RUSTSTACK_DYNAMODB_LOCAL_TOKEN"

SOURCE = """\
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/** DynamoDB Local on the loopback socket RustStack hands it, for RustStack only. */
public final class RustStackDynamoDBLocal {
    public static void main(String[] args) throws Exception {
        String token = System.getenv("RUSTSTACK_DYNAMODB_LOCAL_TOKEN");
        if (token == null || token.length() < 32) {
            fail("no token in RUSTSTACK_DYNAMODB_LOCAL_TOKEN");
        }
        Channel inherited = System.inheritedChannel();
        if (!(inherited instanceof ServerSocketChannel)) {
            fail("standard input is not a listening socket");
        }
        InetSocketAddress bound = (InetSocketAddress) ((ServerSocketChannel) inherited).getLocalAddress();
        if (bound == null || !bound.getAddress().isLoopbackAddress()) {
            fail("the listening socket is not on loopback: " + bound);
        }
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        for (Connector connector : server.getConnectors()) {
            ((ServerConnector) connector).setInheritChannel(true);
        }
        server.setHandler(new Guard(server.getHandler(), token));
        proxy.safeStart();
        System.err.println("DynamoDB Local serving RustStack on " + bound);
    }

    private static void fail(String why) {
        System.err.println("RustStack's DynamoDB Local launcher: " + why);
        System.exit(2);
    }

    /** Serves only requests whose Authorization ends with the token. */
    static final class Guard extends Handler.Wrapper {
        private final byte[] expected;

        Guard(Handler handler, String token) {
            super(handler);
            expected = (", Signature=" + token).getBytes(StandardCharsets.ISO_8859_1);
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
            if (authorization == null || authorization.length() < expected.length
                    || !MessageDigest.isEqual(expected, tail(authorization, expected.length))) {
                // No error page: it would name Jetty and its version.
                response.setStatus(403);
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0L);
                response.write(true, BufferUtil.EMPTY_BUFFER, callback);
                return true;
            }
            return super.handle(request, response, callback);
        }

        private static byte[] tail(String text, int length) {
            return text.substring(text.length() - length).getBytes(StandardCharsets.ISO_8859_1);
        }
    }
}
"""


def classes_dir(cache: str, java: str, jar: str) -> str:
    """
    Where the launcher compiled for this C{java} and C{jar} is kept in the
    folder C{cache}: a new source, JVM or DynamoDB Local compiles it again.
    """
    key = hashlib.sha256("\0".join([SOURCE, os.path.realpath(java), os.path.realpath(jar)]).encode()).hexdigest()
    return os.path.join(cache, key[:16])


def is_compiled(classes: str) -> bool:
    return os.path.isfile(os.path.join(classes, CLASS_NAME + ".class"))


def compile_command(java: str, jar: str, source: str, output: str) -> list[str]:
    """
    javac from the JRE's C{jdk.compiler} module, without a JDK installed.
    """
    return [
        java,
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        "-m",
        "jdk.compiler/com.sun.tools.javac.Main",
        "-nowarn",
        "-cp",
        jar,
        "-d",
        output,
        source,
    ]


def main_arguments(jar: str, classes: str) -> list[str]:
    """
    The java arguments that run the compiled launcher (DynamoDB Local's
    libraries come from the jar's manifest class path).
    """
    return ["-cp", os.pathsep.join([classes, jar]), CLASS_NAME]
