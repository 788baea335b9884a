// The registration hook of Okta's guides as they ran it on Glitch: Express, body-parser's JSON parsing,
// express-basic-auth with admin:supersecret, a log line per call, ALLOW for example.com addresses.
// Prints its URL as its first line, like bench/bare_app.py.
const express = require("express");
const bodyParser = require("body-parser");
const basicAuth = require("express-basic-auth");

const app = express();
app.use(bodyParser.json());
app.use(basicAuth({ users: { admin: "supersecret" }, unauthorizedResponse: () => "unauthorized" }));

app.post("/registrationHook", (request, response) => {
  const email = request.body.data.userProfile.email;
  console.log(`registration hook: ${email}`);
  if (email.split("@")[1] === "example.com") {
    response.status(200).send({ commands: [{ type: "com.okta.action.update", value: { registration: "ALLOW" } }] });
  } else {
    response.status(200).send({
      commands: [{ type: "com.okta.action.update", value: { registration: "DENY" } }],
      error: { errorSummary: "Incorrect email address. Please contact your admin.",
               errorCauses: [{ errorSummary: "Only example.com emails can register.", reason: "INVALID_EMAIL_DOMAIN",
                               locationType: "body", location: "data.userProfile.email", domain: "end-user" }] },
    });
  }
});

const server = app.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
